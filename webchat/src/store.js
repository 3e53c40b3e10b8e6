// What survives a reload: the session and its signed token, the transcript (IBANs masked), the
// language and the messages typed while offline. sessionStorage, so that closing the tab on a
// shared device forgets the conversation; "new conversation" forgets it at once.
// The session is issued and signed by the server (POST /api/sessions): the widget never makes
// one up, and the server refuses any it did not sign.
const KEY = "buergerbot-webchat";

function fresh(language) {
  return { session: null, token: null, language, history: [], outbox: [], greeted: false };
}

export function load(defaultLanguage) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    // A saved state without a signed token (an older widget's) starts afresh.
    if (saved && typeof saved.token === "string" && Array.isArray(saved.history)) {
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

// Mutates in place: the connection holds the same object and must see the new session.
export function restart(state) {
  Object.assign(state, fresh(state.language));
  save(state);
  return state;
}
