/** The driver searches their own messages. */
import { useSession } from "../../app-context.js";
import { MessageSearch } from "../../components/MessageSearch.js";

export default function MessageSearchPage() {
  const session = useSession();
  return (
    <section>
      <h1>Search my messages</h1>
      <MessageSearch path={`drivers/${session.userId}/messages`} withDriver={false} />
    </section>
  );
}
