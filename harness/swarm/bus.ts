// The run's one stream of output. Every event is appended to events.jsonl before anyone
// hears of it, so a line on the screen never tells of something the log does not hold;
// notes are lines for people that the log does not keep (a read that failed, a retry).
// The printer is a subscriber (printer.ts: printEvents), not a twin of every emit.
import type { EventLog, SwarmEvent } from '../events/log.js';

export type Heard = { event: SwarmEvent } | { note: string };

export class RunBus {
  private readonly subscribers: ((m: Heard) => void)[] = [];

  constructor(private readonly log: EventLog) {}

  subscribe(f: (m: Heard) => void): void {
    this.subscribers.push(f);
  }

  emit(event: SwarmEvent): void {
    this.log.append(event);
    for (const f of this.subscribers) f({ event });
  }

  note(text: string): void {
    for (const f of this.subscribers) f({ note: text });
  }
}
