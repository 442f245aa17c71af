// The browser's filter bar: category, subset, winner and source menus (each value with its count in the
// dataset) and a text search over prompt, A and B, with the count shown of the total. Presentational.
import { memo } from 'react';
import { isFiltering, type Facet, type Facets, type PairFilter } from '../../../state/pair_filter';

export interface PairFiltersProps {
  filter: PairFilter;
  facets: Facets;
  shown: number;
  total: number;
  onChange: (patch: Partial<PairFilter>) => void;
  onClear: () => void;
}

const FIELDS: { key: keyof Facets; label: string }[] = [
  { key: 'category', label: 'category' },
  { key: 'subset', label: 'subset' },
  { key: 'winner', label: 'winner' },
  { key: 'source', label: 'source' },
];

function Menu({
  label,
  value,
  facets,
  onPick,
}: {
  label: string;
  value: string;
  facets: Facet[];
  onPick: (v: string) => void;
}) {
  return (
    <label>
      {label}{' '}
      <select aria-label={`filter by ${label}`} value={value} onChange={(e) => onPick(e.target.value)}>
        <option value="">any</option>
        {facets.map((f) => (
          <option key={f.value} value={f.value}>
            {f.value} ({f.count.toLocaleString('en-US')})
          </option>
        ))}
      </select>
    </label>
  );
}

export const PairFilters = memo(function PairFilters({
  filter,
  facets,
  shown,
  total,
  onChange,
  onClear,
}: PairFiltersProps) {
  const filtering = isFiltering(filter);
  return (
    <div className="pair-filters">
      {FIELDS.map((f) => (
        <Menu
          key={f.key}
          label={f.label}
          value={filter[f.key]}
          facets={facets[f.key]}
          onPick={(v) => onChange({ [f.key]: v })}
        />
      ))}
      <label>
        search{' '}
        <input
          type="search"
          aria-label="search prompt and responses"
          placeholder="words in prompt, A or B"
          value={filter.text}
          onChange={(e) => onChange({ text: e.target.value })}
        />
      </label>
      <span className="pair-count" data-testid="pair-count" aria-live="polite">
        {shown.toLocaleString('en-US')} of {total.toLocaleString('en-US')} pairs
      </span>
      {filtering && (
        <button type="button" className="secondary" onClick={onClear}>
          clear filters
        </button>
      )}
    </div>
  );
});
