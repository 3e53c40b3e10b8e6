// What survives a reload: the session and its signed token, the transcript (IBANs masked), the
// language and the messages typed while offline. sessionStorage, so that closing the tab on a
// shared device forgets the conversation; "new conversation" forgets it at once.
// The session is issued and signed by the server (POST /api/sessions): the widget never makes
// one up, and the server refuses any it did not sign.
// No clear IBAN at rest: an unsent message is kept in sessionStorage with its IBANs masked
// (mask.js, the server's finder); its clear text, which the server needs, stays in this page's
// memory only. A reload before it was sent loses that text, so such a message is not sent
// masked but marked "not sent" and the citizen types it again.
import { maskIbans } from "./mask.js";

const KEY = "buergerbot-webchat";

function fresh(language) {
  return { session: null, token: null, language, history: [], outbox: [], greeted: false };
}

export function load(defaultLanguage) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    // A saved state without a signed token (an older widget's) starts afresh.
    if (saved && typeof saved.token === "string" && Array.isArray(saved.history)) {
      const outbox = Array.isArray(saved.outbox) ? saved.outbox : [];
      saved.outbox = outbox.filter((item) => !item.masked);
      for (const item of outbox.filter((entry) => entry.masked)) {
        const shown = saved.history[item.id - 1];
        if (shown && shown.who === "user") {
          delete shown.queued;
          shown.unsent = true;
        }
      }
      return saved;
    }
  } catch (error) {
    // Storage may be disabled or hold garbage: start fresh rather than fail.
  }
  return fresh(defaultLanguage);
}

// The state as kept at rest: each unsent message with its IBANs masked.
export function atRest(state) {
  const outbox = state.outbox.map((item) => {
    const masked = maskIbans(item.message);
    return masked === item.message ? item : { ...item, message: masked, masked: true };
  });
  return { ...state, outbox };
}

export function save(state) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(atRest(state)));
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
