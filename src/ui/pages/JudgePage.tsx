// The Judge page. Filled in with the judge.
export function JudgePage() {
  return <section className="panel"><h2>Judge</h2></section>;
}
