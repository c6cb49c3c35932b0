import { useEffect, useState } from "preact/hooks";
import { PlatformOptions } from "../PlatformOptions";
import { criteriaKey, PAGE_SIZES, type GamesQuery } from "./games-query";

type Criteria = Pick<GamesQuery, "name" | "platform" | "limit">;

interface Props {
  /** The criteria in the URL; the form starts from them and follows when they change. */
  query: GamesQuery;
  onSearch(criteria: Criteria): void;
}

/** Name, platform and page size; submitting puts them in the URL (page 1). */
export function SearchForm({ query, onSearch }: Props) {
  const [form, setForm] = useState<Criteria>(query);
  useEffect(() => setForm(query), [criteriaKey(query)]);
  const hasCriteria = Boolean(query.name || query.platform);

  const submit = (event: Event) => {
    event.preventDefault();
    onSearch({ ...form, name: form.name.trim() });
  };
  const clear = () => {
    setForm({ name: "", platform: "", limit: query.limit });
    onSearch({ name: "", platform: "", limit: query.limit });
  };

  return (
    <form class="search card" role="search" aria-label="Search games" onSubmit={submit}>
      <div class="field grow">
        <label for="search-name">Name contains</label>
        <input id="search-name" type="search" name="name" maxLength={100} value={form.name} onInput={(e) => setForm({ ...form, name: (e.currentTarget as HTMLInputElement).value })} />
      </div>
      <div class="field">
        <label for="search-platform">Platform</label>
        <select
          id="search-platform"
          name="platform"
          value={form.platform}
          onChange={(e) => setForm({ ...form, platform: (e.currentTarget as HTMLSelectElement).value as Criteria["platform"] })}
        >
          <option value="">All platforms</option>
          <PlatformOptions />
        </select>
      </div>
      <div class="field">
        <label for="search-limit">Per page</label>
        <select id="search-limit" name="limit" value={form.limit} onChange={(e) => setForm({ ...form, limit: (e.currentTarget as HTMLSelectElement).value })}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </div>
      <div class="actions">
        <button type="submit" class="primary">
          Search
        </button>
        <button type="button" onClick={clear} disabled={!hasCriteria && !form.name && !form.platform}>
          Clear
        </button>
      </div>
    </form>
  );
}
