/** Query-cache helpers over the generated query keys (`[{ _id: <operation>, ...params }]`). */
import type { QueryClient } from "@tanstack/react-query";

export type OperationId =
  | "listProfilesProfilesGet"
  | "listHistoryHistoryGet"
  | "myProfileUsersMeProfileGet"
  | "listApiKeysAuthApiKeysGet"
  | "listModelsModelsGet"
  | "clustersClustersGet"
  | "elbowElbowGet"
  | "listDatasetsDatasetsGet"
  | "listUsersAdminUsersGet"
  | "statsAdminStatsGet"
  | "auditLogAdminAuditGet"
  | "listWebhooksWebhooksGet"
  | "profiles";

/** Invalidate every cached query of these operations, whatever their parameters. */
export function invalidate(queryClient: QueryClient, ...ids: OperationId[]): Promise<void> {
  return queryClient.invalidateQueries({
    predicate: (query) => {
      const key = query.queryKey[0];
      const id = typeof key === "object" && key !== null && "_id" in key ? key._id : key;
      return ids.includes(id as OperationId);
    },
  });
}
