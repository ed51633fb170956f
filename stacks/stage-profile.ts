import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { WebConfig } from "../packages/web/src/config-shape.js";

/** SST's spelling of a CloudWatch Logs retention, e.g. `one_month`. */
export type LogRetention = Lowercase<keyof typeof RetentionDays>;

/**
 * Everything that differs between `production` and every other stage, decided in one place:
 * production keeps its data and survives mistakes; other stages are cheap and leave nothing
 * behind when removed.
 */
export interface StageProfile {
  readonly isProduction: boolean;
  /** Applied by SST to every resource of the app; `destroy` also empties buckets before deletion. */
  readonly removalPolicy: "retain" | "destroy";
  /** RDS instances, DynamoDB tables and the Cognito user pool refuse deletion. */
  readonly deletionProtection: boolean;
  /** RDS runs a synchronous standby; ElastiCache always spans two zones (automatic failover needs it). */
  readonly multiAz: boolean;
  /** One NAT gateway per zone in production, so losing a zone does not cut the other's egress. */
  readonly natGateways: number;
  readonly backupRetentionDays: number;
  readonly logRetention: LogRetention;
  readonly search: SearchSizing;
  readonly web: WebProfile;
}

/** The web app's stage settings; its own origin (the StaticSite's URL) is always allowed. */
export interface WebProfile {
  /** Exact origins the APIs allow besides the site's, e.g. a custom domain in front of it; never "*". */
  readonly extraOrigins: readonly string[];
  /** The base map's tiles (config.json's `map`); none: the bundled world geometry only. */
  readonly map: WebConfig["map"];
}

/**
 * The OpenSearch domain's size. Always one data node per zone (zone awareness over the VPC's two
 * zones); production adds three dedicated master nodes, so that cluster management survives a
 * zone's loss and does not compete with searches and indexing on the data nodes.
 */
export interface SearchSizing {
  readonly dataNodes: number;
  readonly dataNodeInstanceType: string;
  /** 0: the data nodes elect a master among themselves. */
  readonly masterNodes: number;
  readonly masterNodeInstanceType?: string;
  /** EBS (gp3) per data node. */
  readonly volumeGiB: number;
}

export const productionStage = "production";

export function stageProfile(stage: string): StageProfile {
  const isProduction = stage === productionStage;
  return {
    isProduction,
    removalPolicy: isProduction ? "retain" : "destroy",
    deletionProtection: isProduction,
    multiAz: isProduction,
    natGateways: isProduction ? 2 : 1,
    backupRetentionDays: isProduction ? 14 : 1,
    logRetention: isProduction ? "one_year" : "one_month",
    search: isProduction
      ? { dataNodes: 2, dataNodeInstanceType: "r6g.large.search", masterNodes: 3, masterNodeInstanceType: "m6g.large.search", volumeGiB: 100 }
      : // The smallest type that takes encryption at rest and fine-grained access control.
        { dataNodes: 2, dataNodeInstanceType: "t3.small.search", masterNodes: 0, volumeGiB: 10 },
    web: { extraOrigins: [], map: {} },
  };
}

/** The CDK enum for a profile's retention, for constructs that take CDK props. */
export function retentionDays(retention: LogRetention): RetentionDays {
  return RetentionDays[retention.toUpperCase() as keyof typeof RetentionDays];
}
