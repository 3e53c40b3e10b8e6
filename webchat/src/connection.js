// The socket.io connection to Rasa's channel (relayed by the web chat service at the page's
// own origin), with session persistence and an outbox: a message typed while offline waits in
// the outbox and is sent exactly once, after the session is confirmed again. The session is
// the signed token the server issued (handlers.session() fetches one when there is none).
import { io } from "socket.io-client";

export function connect(origin, state, handlers) {
  const socket = io(origin, {
    path: "/socket.io",
    transports: ["websocket"],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  let confirmed = false;
  let syncing = false;

  const ready = () => confirmed && !syncing && socket.connected && navigator.onLine !== false;

  function flush() {
    while (ready() && state.outbox.length > 0) {
      const item = state.outbox.shift();
      socket.emit("user_uttered", { message: item.message, session_id: state.token });
      handlers.sent(item);
    }
  }

  // Replies sent while this page was away come first; new messages wait until then, so that
  // no reply can arrive both ways.
  function resume() {
    handlers.status("online");
    if (syncing) return;
    syncing = true;
    Promise.resolve(handlers.resync())
      .catch(() => undefined)
      .finally(() => {
        syncing = false;
        flush();
      });
  }

  socket.on("connect", () => {
    confirmed = false;
    Promise.resolve(handlers.session())
      .then(() => socket.emit("session_request", { session_id: state.token }))
      .catch(() => {
        // No session yet (the server was unreachable): try again with a fresh connection.
        socket.disconnect();
        setTimeout(() => socket.connect(), 2000);
      });
  });
  // The server did not sign this session (its key changed): a new conversation starts.
  socket.on("session_refused", () => handlers.refused());
  socket.on("session_confirm", (id) => {
    // Rasa echoes the id we asked for; only a restart may have changed ours meanwhile.
    if (typeof id === "string" && id !== state.session) return;
    confirmed = true;
    resume();
  });
  socket.on("bot_uttered", (message) => handlers.reply(message));
  socket.on("disconnect", () => {
    confirmed = false;
    handlers.status("offline");
  });
  socket.io.on("reconnect_attempt", () => handlers.status("connecting"));
  window.addEventListener("offline", () => handlers.status("offline"));
  window.addEventListener("online", () => {
    if (!socket.connected) socket.connect();
    else if (confirmed) resume();
  });
  // A phone whose screen was locked may keep its socket yet have missed replies.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && confirmed && socket.connected) resume();
  });

  return {
    send(item) {
      state.outbox.push(item);
      flush();
    },
    restart() {
      confirmed = false;
      socket.disconnect();
      socket.connect();
    },
    online: ready,
  };
}
