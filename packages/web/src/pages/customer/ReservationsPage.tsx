/** TODO: ReservationsPage. */
export default function ReservationsPage() {
  return (
    <section>
      <h1>ReservationsPage</h1>
    </section>
  );
}
