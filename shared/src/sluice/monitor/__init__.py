"""The monitor stage's domain: player health per window and dimension, alerts, rollups."""
