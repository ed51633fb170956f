/** TODO: FleetPage. */
export default function FleetPage() {
  return (
    <section>
      <h1>FleetPage</h1>
    </section>
  );
}
