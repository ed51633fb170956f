import { User } from "@haul/core/user";
import { NotFoundError } from "@haul/core/errors";
import { reservationApi } from "../declarations.js";
import { httpHandler } from "../shared/http-handler.js";

export const handler = httpHandler(
  { roles: reservationApi.routes["GET /me"].roles },
  async ({ principal }) => {
    const profile = await User.get(principal.userId);
    if (!profile) throw new NotFoundError("The token is valid, but Haul has no profile for this user.");
    return { status: 200, body: { userId: principal.userId, role: principal.role, profile } };
  },
);
