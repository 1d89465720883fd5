// Tells every open tab of each decision as it is saved (server-sent events), so that a tab whose
// decision another tab has just replaced can say so, and every tab's counts stay true.
import type { ServerResponse } from 'node:http';
import { startEvents } from './responses.js';

export class Events {
  private readonly listeners = new Set<ServerResponse>();

  listen(res: ServerResponse): void {
    startEvents(res);
    this.listeners.add(res);
    res.on('close', () => this.listeners.delete(res));
  }

  publish(type: string, data: unknown): void {
    const text = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.listeners) res.write(text);
  }

  /** Ends every stream, so that the server can close. */
  close(): void {
    for (const res of this.listeners) res.end();
    this.listeners.clear();
  }
}
