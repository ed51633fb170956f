/** TODO: StatsPage. */
export default function StatsPage() {
  return (
    <section>
      <h1>StatsPage</h1>
    </section>
  );
}
