export function StepThroughPage() {
  return <section className="panel"><h2>StepThroughPage</h2></section>;
}
