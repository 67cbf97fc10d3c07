/**
 * The in-memory notification broker: `(app, view, wsid) → latest offset`. Publishing never blocks;
 * a watcher gets the current offset at once (even one published before it subscribed), then every
 * change. Intermediate offsets may be coalesced by slow consumers; only the latest matters.
 */
import type { NotificationBroker, NotificationKey } from './service.js';

function keyOf(k: NotificationKey): string {
  return `${k.app}\u0000${k.view}\u0000${k.wsid}`;
}

export function createNotificationBroker(): NotificationBroker {
  const latest = new Map<string, number>();
  const watchers = new Map<string, Set<(offset: number) => void>>();
  return {
    publish(key, offset) {
      const id = keyOf(key);
      const prev = latest.get(id);
      if (prev !== undefined && prev >= offset) return;
      latest.set(id, offset);
      for (const w of watchers.get(id) ?? []) {
        try {
          w(offset);
        } catch {
          // A failing listener must not break publishing for others.
        }
      }
    },
    watch(key, listener) {
      const id = keyOf(key);
      let set = watchers.get(id);
      if (set === undefined) {
        set = new Set();
        watchers.set(id, set);
      }
      set.add(listener);
      const current = latest.get(id);
      if (current !== undefined) listener(current);
      return () => {
        set.delete(listener);
        if (set.size === 0) watchers.delete(id);
      };
    },
  };
}
