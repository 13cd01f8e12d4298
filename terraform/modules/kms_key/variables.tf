variable "create" {
  description = "Create the key; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "description" {
  description = "What the key encrypts (shown in the KMS console)."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days a scheduled deletion waits (7..30): time to notice a key still in use."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be 7..30."
  }
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
