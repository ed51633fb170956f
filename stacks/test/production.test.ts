/**
 * The `production` stage: it keeps its data and refuses deletion, runs standbys in a second zone,
 * and still passes cdk-nag with fewer suppressions. Its own file: SST synthesizes one app per process.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, test } from "vitest";
import { reservationWorkflow, scheduledFunctions } from "../../packages/functions/src/declarations.js";
import { Auth } from "../Auth.js";
import { Data } from "../Data.js";
import { Messaging } from "../Messaging.js";
import { Network } from "../Network.js";
import { Search } from "../Search.js";
import { Workflow } from "../Workflow.js";
import { nagFindings, suppressedNagFindings, synthesizeApp, type SynthesizedApp } from "./support/synth-app.js";
import { allResources, isSstBindingParameter, onlyResourceOfType, resourcesOfType } from "./support/template-queries.js";

let synthesized: SynthesizedApp;
let data: Template;

beforeAll(async () => {
  synthesized = await synthesizeApp({ stage: "production", nagChecks: true });
  data = synthesized.template(Data);
}, 300_000);

describe("production retains its data", () => {
  test("every resource of every stack (but SST's binding parameters) is retained on removal and on replacement", () => {
    for (const template of synthesized.templates().values()) {
      for (const [logicalId, resource] of allResources(template).filter(([, resource]) => !isSstBindingParameter(resource))) {
        expect({ logicalId, deletion: resource.DeletionPolicy, replacement: resource.UpdateReplacePolicy }).toEqual({
          logicalId,
          deletion: "Retain",
          replacement: "Retain",
        });
      }
    }
  });

  test("the MySQL primary and replica have deletion protection and a Multi-AZ standby", () => {
    const instances = resourcesOfType(data, "AWS::RDS::DBInstance");
    expect(instances).toHaveLength(2);
    for (const [, db] of instances) expect(db.Properties).toMatchObject({ DeletionProtection: true, MultiAZ: true });
  });

  test("tables and the user pool refuse deletion", () => {
    for (const [, table] of resourcesOfType(data, "AWS::DynamoDB::Table")) expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    synthesized.template(Auth).hasResourceProperties("AWS::Cognito::UserPool", { DeletionProtection: "ACTIVE" });
  });

  test("keeps the notification topic, its key, its queues, the workflow's execution logs and its tasks' logs", () => {
    const kept = [
      ...["AWS::SNS::Topic", "AWS::KMS::Key", "AWS::SQS::Queue"].flatMap((type) => resourcesOfType(synthesized.template(Messaging), type)),
      ...resourcesOfType(synthesized.template(Workflow), "AWS::Logs::LogGroup"),
    ];
    // The workflow stack's log groups: one per task, and one per scheduled function of the reservation service (the reconciler).
    const workflowFunctions = Object.keys(reservationWorkflow.tasks).length + scheduledFunctions.filter((scheduled) => scheduled.service === reservationWorkflow.service).length;
    expect(kept).toHaveLength(5 + workflowFunctions);
    for (const [, resource] of kept) expect(resource.DeletionPolicy).toBe("Retain");
  });

  test("keeps backups for two weeks", () => {
    const [, primary] = resourcesOfType(data, "AWS::RDS::DBInstance").find(([, db]) => !db.Properties?.SourceDBInstanceIdentifier)!;
    expect(primary.Properties?.BackupRetentionPeriod).toBe(14);
  });

  test("has a NAT gateway in each zone", () => {
    synthesized.template(Network).resourceCountIs("AWS::EC2::NatGateway", 2);
  });

  test("runs the OpenSearch domain on larger data nodes with three dedicated masters, zone aware, and keeps it and its logs", () => {
    const search = synthesized.template(Search);
    const [, domain] = onlyResourceOfType(search, "AWS::OpenSearchService::Domain");
    expect(domain.Properties?.ClusterConfig).toMatchObject({
      InstanceType: "r6g.large.search",
      InstanceCount: 2,
      DedicatedMasterEnabled: true,
      DedicatedMasterCount: 3,
      DedicatedMasterType: "m6g.large.search",
      ZoneAwarenessEnabled: true,
    });
    expect(domain.Properties?.EBSOptions).toEqual({ EBSEnabled: true, VolumeType: "gp3", VolumeSize: 100 });
    expect({ deletion: domain.DeletionPolicy, replacement: domain.UpdateReplacePolicy }).toEqual({ deletion: "Retain", replacement: "Retain" });
    for (const [, group] of resourcesOfType(search, "AWS::Logs::LogGroup")) expect(group.Properties?.RetentionInDays).toBe(365);
  });

  test("log refinement keeps production's year: every function's and access log group retains 365 days", () => {
    const groups = [...synthesized.templates().values()].flatMap((template) => resourcesOfType(template, "AWS::Logs::LogGroup"));
    const functionGroups = groups.filter(([, group]) => JSON.stringify(group.Properties?.LogGroupName ?? "").includes("/aws/lambda/"));
    expect(functionGroups.length).toBeGreaterThan(20);
    for (const [, group] of groups) expect(group.Properties?.RetentionInDays).toBe(365);
  });
});

describe("production under cdk-nag", () => {
  test("leaves no AwsSolutions error unsuppressed", () => {
    const errors = nagFindings(synthesized.assembly, "error").map((finding) => `${finding.path}: ${finding.message}`);
    expect(errors).toEqual([]);
  });

  test("leaves no AwsSolutions warning unsuppressed", () => {
    const warnings = nagFindings(synthesized.assembly, "warning").map((finding) => `${finding.path}: ${finding.message}`);
    expect(warnings).toEqual([]);
  });

  test("needs no suppression for Multi-AZ, deletion protection or OpenSearch's dedicated masters", () => {
    const suppressed = new Set(suppressedNagFindings(synthesized.assembly).map((finding) => finding.rule));
    expect(suppressed.has("AwsSolutions-RDS3")).toBe(false);
    expect(suppressed.has("AwsSolutions-RDS10")).toBe(false);
    expect(suppressed.has("AwsSolutions-OS4")).toBe(false);
  });
});
