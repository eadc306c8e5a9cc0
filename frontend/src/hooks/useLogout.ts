import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { logoutAuthLogoutPost } from "@/client";
import { session } from "@/lib/session";

/** Log out on the server (ends the session's tokens and clears the cookie), then here;
 * never rejects. */
export function useLogout(): () => Promise<void> {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return async () => {
    try {
      await logoutAuthLogoutPost();
    } catch {
      // Unreachable server: the tokens end here anyway and expire there on their own.
    } finally {
      session.end("logged_out");
      queryClient.clear();
      await navigate({ to: "/login", search: { reason: "logged_out" } });
    }
  };
}
