// Tests for this area are added below.
