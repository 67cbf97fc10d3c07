// The encoded event for `stoa.event`, shared by the instances of one loaded app. Every extension a
// command's event fires gets the same EventView object (core/apply.ts runs the sync projectors one
// after another on one view), so the event is encoded once, not once per extension.
//
// One slot, not a WeakMap keyed by event: events are fresh objects, so a WeakMap entry (plus the
// copy of the bytes it must hold) cost ~2 µs per event on Node 20 — more than encoding (~1 µs).
// With one slot a miss costs what encoding always cost and a hit costs nothing.
//
// The bytes are valid until the slot moves to another event, which another instance may do while
// this one is suspended: the pending value therefore names its event, and `bytes` encodes it again
// if the slot moved. Events are immutable once built (EventView is read-only; core/projectors.ts
// builds a new one per event), which is what keying by identity relies on.

import type { EventView } from '../host.js';
import { HostCallError } from './errors.js';
import { GuestEncoder } from './msgpack-encode.js';

export class EventBytes {
  private readonly encoder = new GuestEncoder();
  private event: EventView | undefined;
  private length = 0;
  /** Encodes done (tests: a second extension of the same event encodes nothing). */
  encodes = 0;

  /** The length of `event` encoded, encoding it unless it is the one in the slot. */
  encode(event: EventView): number {
    if (event !== this.event) {
      this.event = undefined; // a failed encode leaves the slot empty
      this.length = this.encoder.encode(event);
      this.event = event;
      this.encodes++;
    }
    return this.length;
  }

  /** The bytes of `event`, whose length `encode` returned. */
  bytes(event: EventView, length: number): Uint8Array {
    // Re-encoded after the slot moved: a different length means the event was mutated (a bug).
    if (this.encode(event) !== length) throw new HostCallError('stoa.take: the event changed after it was encoded');
    return this.encoder.bytes(length);
  }
}
