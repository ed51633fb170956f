/** TODO: AssignmentsPage. */
export default function AssignmentsPage() {
  return (
    <section>
      <h1>AssignmentsPage</h1>
    </section>
  );
}
