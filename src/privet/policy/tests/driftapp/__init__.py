"""An app that stores an email the policy does not declare: installed only by the drift test."""
