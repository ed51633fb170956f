/**
 * The driver's live inbox, app-wide: one LiveApi connection for the signed-in driver, the messages
 * it pushed (each once, by eventId), and the unread count the nav badge and the inbox page show.
 * Layout mounts it for drivers only, so the badge updates on whatever page the driver is.
 */
import type { DriverMessage } from "@haul/core/notification/driver-message";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useHaul, useSession } from "../../app-context.js";
import { LiveSocket, type LiveFrame, type LiveState } from "../../live/live-socket.js";

/** The unread count is read in one page this long; beyond it the badge says "100+". */
export const unreadPageSize = 100;

export interface DriverInbox {
  readonly unread: number;
  /** More unread than one page counted. */
  readonly unreadOverflow: boolean;
  readonly live: LiveState;
  /** Messages pushed since the app opened, newest first. */
  readonly pushed: readonly DriverMessage[];
  /** The inbox marked these messages read (by eventId). */
  markedRead(eventIds: readonly string[]): void;
  refreshUnread(): void;
}

const InboxContext = createContext<DriverInbox | null>(null);

export function DriverInboxProvider({ children }: { children: ReactNode }) {
  const { api, config } = useHaul();
  const session = useSession();
  // Unread messages as the last count read them, and those pushed since that the count did not hold
  // (a count read just before a message was stored must not hide it, nor count it twice after).
  const [unreadIds, setUnreadIds] = useState<{ readonly counted: ReadonlySet<string>; readonly pushed: ReadonlySet<string> }>({
    counted: new Set(),
    pushed: new Set(),
  });
  const unread = unreadIds.counted.size + unreadIds.pushed.size;
  const [unreadOverflow, setUnreadOverflow] = useState(false);
  const [live, setLive] = useState<LiveState>("connecting");
  const [pushed, setPushed] = useState<readonly DriverMessage[]>([]);
  const seen = useRef(new Set<string>());
  const tokenRef = useRef(session.token);
  tokenRef.current = session.token;

  const refreshUnread = useCallback(() => {
    api
      .notification<{ items: { eventId: string }[]; nextCursor: string | null }>(`drivers/${session.userId}/messages`, {
        query: { unread: "true", limit: unreadPageSize },
      })
      .then((reply) => {
        const counted = new Set(reply.data.items.map((item) => item.eventId));
        setUnreadIds((before) => ({ counted, pushed: without(before.pushed, counted) }));
        setUnreadOverflow(Boolean(reply.data.nextCursor));
      })
      .catch(() => undefined); // The badge is a convenience; the inbox page shows failures.
  }, [api, session.userId]);

  useEffect(refreshUnread, [refreshUnread]);

  useEffect(() => {
    const socket = new LiveSocket({
      url: config.apis.live,
      token: () => tokenRef.current,
      onState: setLive,
      onFrame: (frame: LiveFrame) => {
        if (frame.type !== "driver-message") return;
        const message = frame.message as DriverMessage | undefined;
        if (!message?.eventId || seen.current.has(message.eventId)) return;
        seen.current.add(message.eventId);
        setPushed((before) => [message, ...before]);
        if (!message.read)
          setUnreadIds((before) =>
            before.counted.has(message.eventId) || before.pushed.has(message.eventId) ? before : { ...before, pushed: new Set(before.pushed).add(message.eventId) },
          );
      },
    });
    socket.open();
    return () => socket.close();
  }, [config.apis.live, session.userId]);

  const value = useMemo<DriverInbox>(
    () => ({
      unread,
      unreadOverflow,
      live,
      pushed,
      markedRead: (eventIds) => setUnreadIds((before) => ({ counted: without(before.counted, eventIds), pushed: without(before.pushed, eventIds) })),
      refreshUnread,
    }),
    [unread, unreadOverflow, live, pushed, refreshUnread],
  );
  return <InboxContext.Provider value={value}>{children}</InboxContext.Provider>;
}

function without(ids: ReadonlySet<string>, removed: Iterable<string>): ReadonlySet<string> {
  const rest = new Set(ids);
  for (const id of removed) rest.delete(id);
  return rest;
}

export function useDriverInbox(): DriverInbox {
  const inbox = useContext(InboxContext);
  if (!inbox) throw new Error("useDriverInbox outside DriverInboxProvider");
  return inbox;
}

/** The nav link's badge: the count in words, not only a number. */
export function UnreadBadge() {
  const { unread, unreadOverflow } = useDriverInbox();
  if (unread === 0) return null;
  return <span className="badge badge--live" data-testid="unread-badge">{`${unread}${unreadOverflow ? "+" : ""} unread`}</span>;
}
