export function GroupsPage() {
  return <section className="panel"><h2>GroupsPage</h2></section>;
}
