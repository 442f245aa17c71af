export function TrainPage() {
  return <section className="panel"><h2>TrainPage</h2></section>;
}
