// The citizen's chat widget. One script tag embeds it:
//   <script src="https://chat.example.de/static/widget.js" defer data-lang="de"></script>
// data-open="true" opens it at once (the demo page does). Styles and the connection come from
// the script's own origin, so the embedding page needs no other host.
import { connect } from "./connection.js";
import { el, srOnly } from "./dom.js";
import { texts } from "./i18n.js";
import { maskIbans } from "./mask.js";
import { renderText } from "./render.js";
import * as store from "./store.js";

const script = document.currentScript;
const ORIGIN = new URL(script ? script.src : location.href).origin;
const TYPING_TIMEOUT_MS = 30000;
const RESYNC_TIMEOUT_MS = 5000;

function start() {
  const config = script ? script.dataset : {};
  const state = store.load(config.lang === "en" ? "en" : "de");
  const ui = buildUi(state.language);
  let typingTimer = null;
  let lastStatus = "connecting";

  document.head.append(
    el("link", { rel: "stylesheet", href: `${ORIGIN}/static/widget.css`, onload: reveal }),
  );
  setTimeout(reveal, 3000); // a slow stylesheet must not hide the chat forever
  document.body.append(ui.root);
  setOpen(config.open === "true", false);
  renderAll();

  const connection = connect(ORIGIN, state, {
    reply: onReply,
    sent: () => {
      store.save(state);
      showTyping(true);
    },
    status: onStatus,
    resync,
    session: ensureSession,
    refused: () => {
      restartConversation();
    },
  });
  if (!state.greeted) greet();

  function reveal() {
    ui.root.hidden = false;
  }

  function t() {
    return texts(state.language);
  }

  function setOpen(open, moveFocus = true) {
    ui.root.dataset.open = String(open);
    ui.panel.hidden = !open;
    ui.launcher.hidden = open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (moveFocus) (open ? ui.input : ui.launcher).focus();
  }

  function greet() {
    state.greeted = true;
    // A switch to English opens the conversation in English; "/greet" in German.
    send(state.language === "en" ? t().switchMessage : "/greet", null);
  }

  // Sends `message`; `shown` is what the transcript shows (null: nothing, e.g. the greeting).
  function send(message, shown) {
    if (shown !== null) {
      state.history.push({ who: "user", text: maskIbans(shown), time: Date.now() });
    }
    const item = { message, id: state.history.length };
    store.save(state);
    renderAll();
    connection.send(item);
    if (!connection.online() && shown !== null) markQueued();
    showTyping(connection.online());
  }

  function markQueued() {
    const last = state.history[state.history.length - 1];
    last.queued = true;
    store.save(state);
    renderAll();
  }

  function onReply(message) {
    const buttons = (message.quick_replies || message.buttons || []).map((b) => ({
      title: String(b.title || ""),
      payload: String(b.payload || b.title || ""),
      url: linkOf(b),
    }));
    const text = message.text || (message.attachment && message.attachment.payload && message.attachment.payload.src) || "";
    state.history.push({ who: "bot", text: String(text), buttons, time: Date.now() });
    store.save(state);
    showTyping(false);
    appendMessage(state.history.length - 1);
  }

  // A session issued and signed by the server; the widget keeps its token to resume after a
  // reload. Plain-text bodies keep these requests "simple" (no CORS preflight) on city sites.
  async function ensureSession() {
    if (state.token) return;
    const response = await fetch(`${ORIGIN}/api/sessions`, { method: "POST", cache: "no-store" });
    if (!response.ok) throw new Error(`session: ${response.status}`);
    const { session, token } = await response.json();
    if (typeof session !== "string" || typeof token !== "string") throw new Error("session");
    state.session = session;
    state.token = token;
    store.save(state);
  }

  // Shows the replies Rasa sent while this page had no connection (a locked phone, a tunnel).
  async function resync() {
    const known = state.history.filter((item) => item.who === "bot").length;
    if (known === 0) return; // a new conversation: nothing can be missing yet
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), RESYNC_TIMEOUT_MS);
    try {
      const response = await fetch(`${ORIGIN}/api/sessions/bot-messages`, {
        method: "POST",
        body: JSON.stringify({ token: state.token }),
        cache: "no-store",
        signal: abort.signal,
      });
      if (!response.ok) return;
      const { messages } = await response.json();
      (Array.isArray(messages) ? messages.slice(known) : []).forEach(onReply);
    } finally {
      clearTimeout(timer);
    }
  }

  function onStatus(status) {
    if (status === "online") {
      state.history.forEach((item) => delete item.queued);
      store.save(state);
      if (ui.log.querySelector(".bb-queued")) renderAll();
      if (state.outbox.length === 0 && lastStatus !== "online") showTyping(false);
    }
    ui.status.textContent = status === "online" ? (lastStatus === "offline" ? t().online : "") : t()[status];
    ui.root.dataset.connection = status;
    lastStatus = status;
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    ui.typing.hidden = !on;
    if (on) typingTimer = setTimeout(() => (ui.typing.hidden = true), TYPING_TIMEOUT_MS);
  }

  // Quick replies belong to the bot's messages after the citizen's last one.
  function repliesStart() {
    for (let i = state.history.length - 1; i >= 0; i -= 1) {
      if (state.history[i].who === "user") return i + 1;
    }
    return 0;
  }

  function renderAll() {
    ui.log.replaceChildren();
    state.history.forEach((_, index) => appendMessage(index));
  }

  function appendMessage(index) {
    const item = state.history[index];
    const words = t();
    const bubble = el("li", { className: `bb-msg bb-${item.who}${item.queued ? " bb-queued" : ""}` });
    bubble.append(srOnly(`${item.who === "user" ? words.you : words.bot}: `));
    const body = el("div", { className: "bb-text" });
    renderText(body, item.text);
    bubble.append(body);
    if (item.queued) bubble.append(el("div", { className: "bb-note", text: words.queued }));
    if (item.unsent) {
      bubble.append(el("div", { className: "bb-note bb-unsent", text: words.unsent }));
    }
    const buttons = (item.buttons || []).filter((b) => b.url || index >= repliesStart());
    if (buttons.length) bubble.append(replyButtons(buttons));
    ui.log.append(bubble);
    ui.logBox.scrollTop = ui.logBox.scrollHeight;
  }

  function replyButtons(buttons) {
    const group = el("div", { className: "bb-replies", role: "group", "aria-label": t().replies });
    buttons.forEach((b) => {
      if (b.url) {
        // A link (the signing page): it opens in a new tab, this chat stays open and shows how
        // the login ended by itself. It never posts anything to the assistant.
        group.append(
          el("a", { className: "bb-reply bb-link", href: b.url, target: "_blank", rel: "noopener noreferrer", text: b.title }),
        );
        return;
      }
      group.append(
        el("button", {
          type: "button",
          className: "bb-reply",
          text: b.title,
          onclick: () => {
            if (b.payload.startsWith("/change_language")) setLanguage(languageOf(b.title));
            else send(b.payload, b.title);
            ui.input.focus();
          },
        }),
      );
    });
    return group;
  }

  // The assistant's own "English"/"Deutsch" buttons switch the page too, not only the bot.
  function languageOf(title) {
    if (/deutsch/i.test(title)) return "de";
    if (/english/i.test(title)) return "en";
    return t().otherLanguageCode;
  }

  function setLanguage(next) {
    state.language = next;
    ui.relabel(next);
    send(texts(next).switchMessage, texts(next === "en" ? "de" : "en").otherLanguage);
  }

  function download() {
    const words = t();
    const lines = [words.fileTitle, new Date().toLocaleString(state.language), words.fileNote, ""];
    state.history.forEach((item) => {
      const time = new Date(item.time).toLocaleTimeString(state.language, { hour: "2-digit", minute: "2-digit" });
      const who = item.who === "user" ? words.you : words.bot;
      lines.push(`[${time}] ${who}: ${maskIbans(item.text)}`);
      (item.buttons || []).forEach((b) => lines.push(`    • ${b.title}`));
    });
    const blob = new Blob([lines.join("\n") + "\n"], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const day = new Date().toISOString().slice(0, 10);
    const link = el("a", { href: url, download: `${words.fileName}-${day}.txt`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function restartConversation() {
    store.restart(state);
    renderAll();
    showTyping(false);
    connection.restart();
    ui.status.textContent = t().restarted;
    greet();
    ui.input.focus();
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    ui.input.value = "";
    send(text, text);
  });
  ui.langButton.addEventListener("click", () => setLanguage(t().otherLanguageCode));
  ui.downloadButton.addEventListener("click", download);
  ui.restartButton.addEventListener("click", restartConversation);
  ui.closeButton.addEventListener("click", () => setOpen(false));
  ui.launcher.addEventListener("click", () => setOpen(true));
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });
}

// Rasa's socket.io channel passes a button's title and payload only, so a link button (the
// signing page) carries its address as the payload too: an http(s) address is opened, never sent.
function linkOf(button) {
  const url = String(button.url || button.payload || "");
  return /^https?:\/\//.test(url) ? url : "";
}

function buildUi(language) {
  const button = (className) => el("button", { type: "button", className });
  const ui = {
    launcher: el("button", { type: "button", className: "bb-launcher", "aria-controls": "bb-panel" }),
    title: el("h2", { id: "bb-title", className: "bb-title" }),
    langButton: button("bb-tool bb-lang"),
    privacy: el("a", { className: "bb-tool", href: `${ORIGIN}/datenschutz`, target: "_blank", rel: "noopener" }),
    downloadButton: button("bb-tool"),
    restartButton: button("bb-tool"),
    closeButton: button("bb-close"),
    status: el("p", { className: "bb-status", role: "status" }),
    log: el("ol", { className: "bb-list" }),
    typing: el("p", { className: "bb-typing", hidden: true }),
    input: el("input", {
      id: "bb-input", className: "bb-input", type: "text", autocomplete: "off", maxlength: "2000",
      enterkeyhint: "send",
    }),
    inputLabel: el("label", { for: "bb-input", className: "bb-sr" }),
    sendButton: el("button", { type: "submit", className: "bb-send" }),
  };
  // role=log (a polite live region) around a list: new messages are read out, and the list
  // keeps its list semantics for screen readers. Focusable, so it scrolls by keyboard.
  ui.logBox = el("div", { className: "bb-log", role: "log", "aria-live": "polite", tabindex: "0" }, [ui.log]);
  ui.form = el("form", { className: "bb-composer" }, [ui.inputLabel, ui.input, ui.sendButton]);
  const header = el("header", { className: "bb-header" }, [
    el("div", { className: "bb-bar" }, [ui.title, ui.closeButton]),
    el("div", { className: "bb-tools" }, [ui.langButton, ui.privacy, ui.downloadButton, ui.restartButton]),
  ]);
  ui.panel = el("section", { id: "bb-panel", className: "bb-panel", "aria-labelledby": "bb-title" }, [
    header, ui.status, ui.logBox, ui.typing, ui.form,
  ]);
  ui.root = el("div", { className: "bb-root", hidden: true }, [ui.launcher, ui.panel]);
  ui.relabel = (lang) => relabel(ui, lang);
  relabel(ui, language);
  return ui;
}

function relabel(ui, language) {
  const words = texts(language);
  ui.root.lang = language;
  ui.launcher.textContent = words.open;
  ui.title.textContent = words.title;
  ui.langButton.textContent = words.otherLanguage;
  ui.langButton.lang = words.otherLanguageCode;
  ui.langButton.setAttribute("aria-label", words.switchLabel);
  ui.privacy.textContent = words.privacy;
  ui.downloadButton.textContent = words.download;
  ui.restartButton.textContent = words.restart;
  ui.closeButton.textContent = "×";
  ui.closeButton.setAttribute("aria-label", words.close);
  ui.logBox.setAttribute("aria-label", words.log);
  ui.typing.textContent = words.typing;
  ui.inputLabel.textContent = words.input;
  ui.input.placeholder = words.placeholder;
  ui.sendButton.textContent = words.send;
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
