// The Data page. Filled in with the data browser.
export function DataPage() {
  return <section className="panel"><h2>Data</h2></section>;
}
