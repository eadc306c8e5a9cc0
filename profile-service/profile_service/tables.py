"""Table models of the profile-service (schema `profiles`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segshared.db import schema_metadata, utcnow
from sqlalchemy import BigInteger, Column, DateTime, Float, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

SCHEMA = "profiles"


class Base(SQLModel):
    """Base of every table here: binds it to the service's own schema."""

    metadata = schema_metadata(SCHEMA)


class CustomerProfile(Base, table=True):
    """A saved customer of one user."""

    __tablename__ = "customer_profiles"
    __table_args__ = (
        Index(
            "ix_customer_profiles_user_created", "user_id", text("created_at DESC"), text("id DESC")
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, nullable=False))
    name: str = Field(sa_column=Column(String(255), nullable=False))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sex: str = Field(sa_column=Column(String(6), nullable=False))
    age: int
    annual_income: float
    spending_score: int
    purchase_frequency: int
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PredictionHistory(Base, table=True):
    """One prediction (or one batch summary), stored once per `event_id`."""

    __tablename__ = "prediction_history"
    __table_args__ = (
        # A user's rows are scattered over the table: /history pages and the export read
        # every column they show from this index only (no table page visits).
        Index(
            "ix_prediction_history_user_created",
            "user_id",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_include=[
                "cluster",
                "confidence",
                "cluster_name",
                "model_version",
                "profile_id",
                "customer_data",
            ],
        ),
        # The /history total (and a cluster filter) reads only the matching cluster's entries.
        Index(
            "ix_prediction_history_user_cluster",
            "user_id",
            "cluster",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_include=["confidence"],
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    event_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int = Field(sa_column=Column(Integer, nullable=False))
    profile_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    customer_data: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    cluster: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    cluster_name: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    confidence: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    model_version: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DeletedUser(Base, table=True):
    """Tombstone of a deleted user: history events for them that arrive late are dropped."""

    __tablename__ = "deleted_users"

    user_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    deleted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
