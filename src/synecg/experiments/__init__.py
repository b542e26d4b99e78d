"""The experiment engine: settings (TrRTeR ...), fractions of real data, transfer learning, aggregation."""
