# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_kms_key.this
  to   = aws_kms_key.this[0]
}
