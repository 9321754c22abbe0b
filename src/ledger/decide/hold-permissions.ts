import type { AccountSnapshot, Actor, Channel } from '../types.js';

/**
 * Who may place a hold on an account, in one place. Today: a customer on an account they own
 * (a pre-authorized withdrawal they set up, such as a recurring ACH pull), on any rail money can
 * leave through. The SERVICE role (a card processor authorizing on any account, limited to its
 * channels; issue 8 §2) is to be added here and nowhere else.
 */
export function mayAuthorizeOn(actor: Actor, account: AccountSnapshot, _channel: Channel): boolean {
  return actor.role === 'CUSTOMER' && account.ownedByActor;
}

/** Who may capture a hold: the customer whose account it holds (the SERVICE role joins here). */
export function mayCaptureOn(actor: Actor, account: AccountSnapshot): boolean {
  return actor.role === 'CUSTOMER' && account.ownedByActor;
}

/** Who may void a hold: its account's owner, or an operator (a merchant's cancellation by phone). */
export function mayVoidOn(actor: Actor, account: AccountSnapshot): boolean {
  return account.ownedByActor || actor.role === 'OPERATOR';
}
