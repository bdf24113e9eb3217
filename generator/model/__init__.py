"""The resolved platform: names, ARNs and policy documents as plain data. No jsii import."""
