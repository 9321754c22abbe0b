import type { ReactNode } from 'react';
import { useQuery } from 'urql';
import { ConsoleViewerDocument } from '../generated/graphql';
import { OperationsConsole } from './OperationsConsole';

/**
 * After sign-in: an operator gets the operations console, anyone else the customer app. The role
 * only chooses screens; what each may do is decided by the API on every call.
 */
export function ByRole({ customer }: { customer: ReactNode }) {
  const [{ data, fetching }] = useQuery({ query: ConsoleViewerDocument, requestPolicy: 'network-only' });
  if (fetching && !data) return <p role="status">Loading…</p>;
  if (data?.me.role === 'OPERATOR') return <OperationsConsole username={data.me.username} />;
  // A customer (or a failed read, which the customer app reports in its own words).
  return <>{customer}</>;
}
