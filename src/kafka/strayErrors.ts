/**
 * The client's connection pool listens for a connection's 'error' event only
 * once. A connection that reports a second failure (a broker killed or
 * paused while the client connects, as the primary-down drill does) throws
 * it out of the event loop, where it would end the process. By then the
 * connection is out of the pool, and the call that used it has failed with
 * its own error, which its caller reports: nothing is lost by noting the
 * stray one and going on.
 *
 * Told apart by the client's error code and its exact connection messages.
 * This module imports nothing, so that the CLI can install its guard
 * without loading the client.
 */
const STRAY_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);
const STRAY_MESSAGE = /^Connection (to \S+ (failed|timed out)\.|error)$/;

export function isStrayConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return typeof code === 'string' && STRAY_CODES.has(code) && typeof message === 'string' && STRAY_MESSAGE.test(message);
}

/**
 * Lets stray connection failures pass (each told to `onStray`); any other
 * uncaught exception ends the process as it would without this guard.
 */
export function guardStrayConnectionErrors(onStray: (e: Error) => void): void {
  process.on('uncaughtException', (e) => {
    if (!isStrayConnectionError(e)) throw e;
    onStray(e);
  });
}
