package io.hookrelay.config;

/** The parts of a node that {@code HOOKRELAY_ROLES} switches on: API and ingest, queue polling and delivery, retention. */
public enum Role {
  API,
  DELIVERY,
  RETENTION
}
