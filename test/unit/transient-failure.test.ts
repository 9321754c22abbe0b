import { describe, expect, it } from 'vitest';
import { isLostConnection, transientFailure } from '../../src/ledger/commands/transient-failure.js';

/** Which failures the envelope runs again, as node-postgres, knex and MikroORM report them. */
describe('transientFailure', () => {
  const withState = (message: string, state: { code?: string; sqlState?: string }) => Object.assign(new Error(message), state);

  it('runs a lost race again under its SQLSTATE', () => {
    expect(transientFailure(withState('could not serialize access', { code: '40001' }))).toBe('40001');
    expect(transientFailure(withState('deadlock detected', { sqlState: '40P01' }))).toBe('40P01');
    expect(isLostConnection(withState('deadlock detected', { sqlState: '40P01' }))).toBe(false);
  });

  it('runs a unit again when its connection was lost, with or without a SQLSTATE', () => {
    expect(transientFailure(withState('terminating connection due to administrator command', { code: '57P01' }))).toBe('57P01');
    expect(transientFailure(withState('cannot execute INSERT in a read-only transaction', { code: '25006' }))).toBe('25006');
    expect(transientFailure(withState('connection failure', { code: '08006' }))).toBe('08006');
    expect(transientFailure(withState('sorry, too many clients already', { code: '53300' }))).toBe('53300');
    expect(isLostConnection(withState('sorry, too many clients already', { code: '53300' })), 'answered "busy, retry"').toBe(true);
    expect(transientFailure(withState('read ECONNRESET', { code: 'ECONNRESET' }))).toBe('08006');
    expect(transientFailure(new Error('insert into "entries" ("id") values ($1) - Connection terminated unexpectedly'))).toBe('08006');
    expect(transientFailure(new Error('Transaction query already complete, run with DEBUG=knex:tx for more info'))).toBe('08006');
    expect(isLostConnection(new Error('select 1 - Connection terminated unexpectedly'))).toBe(true);
  });

  it('lets every other failure reach the caller', () => {
    expect(transientFailure(withState('duplicate key value violates unique constraint', { code: '23505' }))).toBeUndefined();
    expect(transientFailure(withState('canceling statement due to statement timeout', { code: '57014' }))).toBeUndefined();
    expect(transientFailure(new Error('select 1 - Connection terminated unexpectedly, but not really: it says more'))).toBeUndefined();
    expect(transientFailure(undefined)).toBeUndefined();
    expect(isLostConnection(new Error('boom'))).toBe(false);
  });
});
