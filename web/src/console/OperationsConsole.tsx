import { useState } from 'react';
import { AccountLookup } from './AccountLookup';
import { Disputes } from './Disputes';
import { JournalStatus } from './JournalStatus';
import { Reconciliation } from './Reconciliation';
import { ReviewQueue } from './ReviewQueue';
import './console.css';

const SECTIONS = [
  { id: 'reviews', label: 'Review queue' },
  { id: 'disputes', label: 'Disputes' },
  { id: 'reconciliation', label: 'Reconciliation' },
  { id: 'accounts', label: 'Accounts' },
  { id: 'journal', label: 'Journal' },
] as const;

type Section = (typeof SECTIONS)[number]['id'];

/**
 * The operations console, for operators (tellers, reviewers, reconcilers): one section at a time,
 * chosen from a menu. Everything goes through the public API as the operator; the API audits each
 * operator read and action.
 */
export function OperationsConsole({ username }: { username: string }) {
  const [section, setSection] = useState<Section>('reviews');
  // An account opened from a review or a dispute; a new object each time, so the same id opens again.
  const [accountToOpen, setAccountToOpen] = useState<{ id: string }>();
  const openAccount = (id: string) => {
    setAccountToOpen({ id });
    setSection('accounts');
  };
  return (
    <div className="console">
      <h1>Operations console</h1>
      <p className="hint">Signed in as {username}, an operator. Every look-up and action is recorded under your name.</p>
      <nav aria-label="Console sections" className="console-nav">
        <ul>
          {SECTIONS.map((item) => (
            <li key={item.id}>
              <button type="button" aria-current={section === item.id ? 'page' : undefined} onClick={() => setSection(item.id)}>
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      {section === 'reviews' && <ReviewQueue onOpenAccount={openAccount} />}
      {section === 'disputes' && <Disputes onOpenAccount={openAccount} />}
      {section === 'reconciliation' && <Reconciliation />}
      {section === 'accounts' && <AccountLookup key={accountToOpen ? `open-${accountToOpen.id}` : 'lookup'} initialAccountId={accountToOpen?.id} />}
      {section === 'journal' && <JournalStatus />}
    </div>
  );
}
