import type { Containment, Requests, RequestType, ResultOf, StreamEvent } from '@kepler/protocol';

/** What a handler gets besides its request: a way to push events, and the client's cancellation. */
export interface RequestContext {
  emit(event: StreamEvent): void;
  /** Resolves once the client has read enough of what was emitted (the socket drained), or is gone. */
  drained(): Promise<void>;
  /** Resolves when the client cancels the request or disconnects. */
  readonly cancelled: Promise<void>;
  isCancelled(): boolean;
}

export type Handler<T extends RequestType> = (req: Requests[T], ctx: RequestContext) => Promise<ResultOf[T]>;
/** One handler per request type: a request without a handler does not compile. */
export type HandlerTable = { [T in RequestType]: Handler<T> };

/** What the handlers know of the daemon itself (Daemon.ts provides it). */
export interface DaemonInfo {
  version: string;
  startedAt: Date;
  stateDir: string;
  /** How services' processes are contained (cgroups, or process groups and the marker sweep). */
  containment(): Containment;
  /** Stops every service, then the daemon. */
  shutdown(): Promise<number>;
  /** Resolves once a shutdown has stopped every service: log follows end then, with a response. */
  readonly closing: Promise<void>;
  /** daemon.log */
  log?(line: string): void;
}
