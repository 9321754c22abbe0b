import { randomInt } from 'node:crypto';

/** The Luhn check digit, so a mistyped account number is caught before it reaches the ledger. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** A human-readable account number: ten random digits and a Luhn check digit. */
export function newAccountNumber(): string {
  let digits = String(randomInt(1, 10));
  for (let index = 1; index < 10; index += 1) digits += String(randomInt(0, 10));
  return digits + String(luhnCheckDigit(digits));
}
