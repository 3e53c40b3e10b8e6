// The socket.io connection to Rasa's channel (relayed by the web chat service at the page's
// own origin), with session persistence and an outbox: a message typed while offline waits in
// the outbox and is sent exactly once, after the session is confirmed again.
import { io } from "socket.io-client";

export function connect(origin, state, handlers) {
  const socket = io(origin, {
    path: "/socket.io",
    transports: ["websocket"],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  let confirmed = false;

  const ready = () => confirmed && socket.connected && navigator.onLine !== false;

  function flush() {
    while (ready() && state.outbox.length > 0) {
      const item = state.outbox.shift();
      socket.emit("user_uttered", { message: item.message, session_id: state.session });
      handlers.sent(item);
    }
  }

  socket.on("connect", () => {
    confirmed = false;
    socket.emit("session_request", { session_id: state.session });
  });
  socket.on("session_confirm", (id) => {
    // Rasa echoes the id we asked for; only a restart may have changed ours meanwhile.
    if (typeof id === "string" && id !== state.session) return;
    confirmed = true;
    handlers.status("online");
    flush();
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
    else if (confirmed) {
      handlers.status("online");
      flush();
    }
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
