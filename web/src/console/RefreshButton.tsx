/** Reads a section's list again (other operators decide too); lists do not update by themselves. */
export function RefreshButton({ fetching, onClick }: { fetching: boolean; onClick: () => void }) {
  return (
    <div>
      <button type="button" className="secondary small-button" disabled={fetching} onClick={onClick}>
        {fetching ? 'Reading…' : 'Refresh'}
      </button>
    </div>
  );
}
