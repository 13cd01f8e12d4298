"""Writers to Kinesis and Firehose that check every entry and retry only the failed ones."""
