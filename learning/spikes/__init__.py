"""The spike detector (issue 24 §2): ``services`` finds the bursts, reports them and opens the major."""
