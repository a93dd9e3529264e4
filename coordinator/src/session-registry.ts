/**
 * Authenticated connections by site: at most one per site (a newer one replaces the
 * older), each with the moment it opened and whether the site said it is ready.
 */
import type { Socket } from 'socket.io';
import type { Envelope, HeldModels } from '@cohortfl/wire';
import type { ChangeFeed } from './change-feed.js';

export interface Session {
  site: string;
  sessionId: string;
  socket: Socket;
  /** Milliseconds since the epoch when the session was welcomed. */
  since: number;
  ready: boolean;
  /** This session's handshake challenge: the site's `status` signatures are bound to it. */
  challenge: Uint8Array;
  /** The last status sequence number accepted in this session (statuses must count up). */
  statusSeq: number;
  /** The protocol version the site announced in its hello (`<major>.<minor>`). */
  protocolVersion: string;
  /** The models this site is known to hold in this session (by SHA-256), for round/starts by reference. */
  models: HeldModels<true>;
  /** Sends one envelope; false when the connection is gone or the envelope cannot be encoded. */
  send(envelope: Envelope): boolean;
  /** Sends a frame already encoded by the coordinator's codec; false when the connection is gone. */
  sendFrame(bytes: Uint8Array): boolean;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly feed?: ChangeFeed) {}

  /** Registers `session`, returning the older session of the same site it replaces, if any. */
  add(session: Session): Session | undefined {
    const older = this.sessions.get(session.site);
    this.sessions.set(session.site, session);
    this.feed?.notify();
    return older;
  }

  /** Removes `session` if it is still the current one of its site; true if it was. */
  remove(session: Session): boolean {
    if (this.sessions.get(session.site) !== session) return false;
    this.sessions.delete(session.site);
    this.feed?.notify();
    return true;
  }

  /** A session's readiness or reported status changed. */
  changed(): void {
    this.feed?.notify();
  }

  get(site: string): Session | undefined {
    return this.sessions.get(site);
  }

  isCurrent(session: Session): boolean {
    return this.sessions.get(session.site) === session;
  }

  list(): Session[] {
    return [...this.sessions.values()].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  }

  readySites(): string[] {
    return this.list().filter((s) => s.ready).map((s) => s.site);
  }

  get size(): number {
    return this.sessions.size;
  }
}
