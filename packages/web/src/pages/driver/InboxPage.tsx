/**
 * The driver's inbox: their message history (newest first, a page at a time) with the messages the
 * LiveApi pushes meanwhile on top, each new one announced; unread ones say so, and marking read
 * updates the count here and on the nav badge.
 */
import type { DriverMessageView } from "@haul/core/notification/driver-message";
import { useState } from "react";
import { useHaul, useSession } from "../../app-context.js";
import { MessageSummary } from "../../components/MessageSearch.js";
import { ProblemAlert } from "../../components/ProblemAlert.js";
import { useCursorList, type CursorPage } from "../../components/use-cursor-list.js";
import { useDriverInbox } from "./inbox-state.js";

export default function InboxPage() {
  const { api } = useHaul();
  const session = useSession();
  const inbox = useDriverInbox();
  const [readNow, setReadNow] = useState<ReadonlySet<string>>(new Set());
  const [markError, setMarkError] = useState<unknown>();
  const history = useCursorList<DriverMessageView>(session.userId, async (cursor) => {
    const reply = await api.notification<CursorPage<DriverMessageView>>(`drivers/${session.userId}/messages`, { query: { cursor } });
    return reply.data;
  });

  const listed = new Set(history.items.map((message) => message.eventId));
  const messages = [...inbox.pushed.filter((message) => !listed.has(message.eventId)), ...history.items].map((message) =>
    readNow.has(message.eventId) ? { ...message, read: true } : message,
  );
  const unreadShown = messages.filter((message) => !message.read);

  const markRead = async (ids: readonly string[]) => {
    if (ids.length === 0) return;
    setMarkError(undefined);
    try {
      const reply = await api.notification<{ read: string[]; notFound: string[] }>(`drivers/${session.userId}/messages/read`, {
        method: "POST",
        body: { messageIds: ids },
      });
      setReadNow((before) => new Set([...before, ...reply.data.read]));
      inbox.markedRead(reply.data.read);
    } catch (failure) {
      setMarkError(failure);
    }
  };

  const latest = inbox.pushed[0];
  return (
    <section>
      <h1>Inbox</h1>
      <p>
        <strong data-testid="unread-count">
          {inbox.unread}
          {inbox.unreadOverflow ? "+" : ""} unread
        </strong>{" "}
        · live updates: <span className={`badge${inbox.live === "open" ? " badge--live" : ""}`}>{inbox.live === "open" ? "connected" : inbox.live}</span>
      </p>
      <p aria-live="polite" aria-atomic="true" data-testid="announcement">
        {latest ? `New message: ${latest.title}` : ""}
      </p>
      <ProblemAlert error={history.error ?? markError} />
      <h2>Messages</h2>
      {unreadShown.length > 0 && (
        <button type="button" onClick={() => void markRead(unreadShown.slice(0, 100).map((message) => message.eventId))}>
          Mark all shown read
        </button>
      )}
      {messages.length === 0 && !history.loading && <p>No messages yet.</p>}
      <ul className="messages">
        {messages.map((message) => (
          <li key={message.eventId} className={message.read ? "" : "unread"}>
            <MessageSummary message={message} />
            {!message.read && (
              <button type="button" onClick={() => void markRead([message.eventId])} aria-label={`Mark read: ${message.title}`}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
      {history.hasMore && (
        <button type="button" onClick={history.loadMore} disabled={history.loading}>
          Older messages
        </button>
      )}
    </section>
  );
}
