# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_kinesis_stream.this
  to   = aws_kinesis_stream.this[0]
}
