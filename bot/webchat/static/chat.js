// A minimal chat over the same-origin relay. Text is always inserted as text, never as HTML.
"use strict";
(function () {
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var sender = sessionStorage.getItem("buergerbot-sender");
  if (!sender) {
    sender = Array.from(crypto.getRandomValues(new Uint8Array(12)), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
    sessionStorage.setItem("buergerbot-sender", sender);
  }

  function add(kind, text, buttons) {
    var item = document.createElement("li");
    item.className = kind;
    item.textContent = text || "";
    (buttons || []).forEach(function (button) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = button.title;
      b.addEventListener("click", function () { send(button.payload, button.title); });
      item.appendChild(document.createElement("br"));
      item.appendChild(b);
    });
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function send(message, shown) {
    add("user", shown || message);
    fetch("/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: message })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) { add("bot", result.body.error || "Fehler. Bitte später erneut versuchen."); return; }
      result.body.forEach(function (m) { add("bot", m.text, m.buttons); });
    }).catch(function () {
      add("bot", "Keine Verbindung. Bitte prüfen Sie Ihre Internetverbindung.");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) { send(text); input.value = ""; }
  });
  send("/greet", "Hallo");
})();
