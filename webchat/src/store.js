// What survives a reload: the session id, the transcript (IBANs masked), the language and the
// messages typed while offline. sessionStorage, so that closing the tab on a shared device
// forgets the conversation; "new conversation" forgets it at once.
const KEY = "buergerbot-webchat";

function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

function fresh(language) {
  return { session: randomId(), language, history: [], outbox: [], greeted: false };
}

export function load(defaultLanguage) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved && typeof saved.session === "string" && Array.isArray(saved.history)) {
      saved.outbox = Array.isArray(saved.outbox) ? saved.outbox : [];
      return saved;
    }
  } catch (error) {
    // Storage may be disabled or hold garbage: start fresh rather than fail.
  }
  return fresh(defaultLanguage);
}

export function save(state) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(state));
  } catch (error) {
    // Without storage the chat still works; it only forgets on reload.
  }
}

// Mutates in place: the connection holds the same object and must see the new session id.
export function restart(state) {
  Object.assign(state, fresh(state.language));
  save(state);
  return state;
}
