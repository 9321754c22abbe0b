import { useState, type FormEvent } from 'react';
import type { TransactionFilter } from '../generated/graphql';
import { filterFrom, isFiltered, KIND_CHOICES, NO_FILTER, type FilterForm } from '../history-filter';

interface Props {
  readonly currency: string;
  readonly digits: number;
  /** Called with the API's filter when the customer applies one (undefined: show everything). */
  readonly onApply: (filter: TransactionFilter | undefined) => void;
}

/**
 * The history's filters: kind, a range of days and a range of amounts (what the API's
 * TransactionFilter takes). Nothing is asked of the bank until "Show lines"; a range that cannot
 * be sent (a JPY amount with decimals, a first day after the last) is said in words instead.
 */
export function HistoryFilters({ currency, digits, onApply }: Props) {
  const [form, setForm] = useState<FilterForm>(NO_FILTER);
  const [problem, setProblem] = useState<string>();
  // Whether the lines shown are filtered: said on the folded summary too, so a short list is not taken for the whole history.
  const [applied, setApplied] = useState(false);
  const change = (next: Partial<FilterForm>) => setForm((current) => ({ ...current, ...next }));

  function apply(event: FormEvent) {
    event.preventDefault();
    const outcome = filterFrom(form, digits);
    if ('problem' in outcome) {
      setProblem(outcome.problem);
      return;
    }
    setProblem(undefined);
    setApplied(isFiltered(form));
    onApply(isFiltered(form) ? outcome.filter : undefined);
  }

  function clear() {
    setForm(NO_FILTER);
    setProblem(undefined);
    setApplied(false);
    onApply(undefined);
  }

  const amountMode = digits === 0 ? 'numeric' : 'decimal';
  return (
    <details className="filters">
      <summary>Filter lines{applied ? ' (filters on)' : ''}</summary>
      <form onSubmit={apply} noValidate aria-label="Filter the history">
        <div className="filter-grid">
          <div>
            <label htmlFor="filter-kind">Kind</label>
            <select id="filter-kind" value={form.kind} onChange={(event) => change({ kind: event.target.value as FilterForm['kind'] })}>
              <option value="">All kinds</option>
              {KIND_CHOICES.map(([kind, name]) => (
                <option key={kind} value={kind}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="filter-from">From day</label>
            <input id="filter-from" type="date" value={form.from} onChange={(event) => change({ from: event.target.value })} />
          </div>
          <div>
            <label htmlFor="filter-to">To day (included)</label>
            <input id="filter-to" type="date" value={form.to} onChange={(event) => change({ to: event.target.value })} />
          </div>
        </div>
        <fieldset className="filter-grid">
          <legend>Amount, in or out</legend>
          <div>
            <label htmlFor="filter-min">At least ({currency})</label>
            <input id="filter-min" inputMode={amountMode} autoComplete="off" value={form.minAmount} onChange={(event) => change({ minAmount: event.target.value })} />
          </div>
          <div>
            <label htmlFor="filter-max">At most ({currency})</label>
            <input id="filter-max" inputMode={amountMode} autoComplete="off" value={form.maxAmount} onChange={(event) => change({ maxAmount: event.target.value })} />
          </div>
        </fieldset>
        <div role="status" aria-live="polite">
          {problem && <p className="problem">{problem}</p>}
        </div>
        <div className="actions">
          <button type="submit">Show lines</button>
          <button type="button" className="secondary" onClick={clear}>
            Clear filters
          </button>
        </div>
      </form>
    </details>
  );
}
