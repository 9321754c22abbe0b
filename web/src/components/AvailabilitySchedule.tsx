import type { AvailabilityPartFragment } from '../generated/graphql';
import { formatMoney } from '../money';

const WHEN = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit' });

/**
 * A deposit's availability schedule in words: which part may be spent now and when the rest is
 * released. A check counts in the posted balance at once, but the held parts are not yet in the
 * available balance, which is why the customer sees available below posted.
 */
export function AvailabilitySchedule({ parts, currency }: { parts: readonly AvailabilityPartFragment[]; currency: string }) {
  if (parts.length === 0) return null;
  const held = parts.filter((part) => !part.released);
  return (
    <div className="schedule">
      <p className="hint">{held.length === 0 ? 'All of it can be spent now.' : 'Until it is released, the held part counts in your posted balance but not in your available balance.'}</p>
      <ul aria-label="When the money is available">
        {parts.map((part) => (
          <li key={`${part.availableAt}-${part.amount}`}>
            <span className="amount">{formatMoney(part.amount, currency)}</span> {part.released ? 'available now' : <>held until {WHEN.format(new Date(part.availableAt))}</>}
          </li>
        ))}
      </ul>
    </div>
  );
}
