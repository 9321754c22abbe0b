/**
 * A reason not to start that the operator can act on (a port taken, a data directory in use).
 * `npm start` prints its message as one line and exits 1, with no stack trace: nothing is broken,
 * something is in the way.
 */
export class StartRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartRefusal';
  }
}
