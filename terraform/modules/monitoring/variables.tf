variable "create" {
  description = "Create the alert topic, its key, the dashboard and the alarms; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name prefix."
  type        = string
}

variable "region" {
  description = "Region of the dashboard's metrics."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-gov-west-1."
  }
}

variable "function_names" {
  description = "Stage functions shown on the dashboard."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "Addresses subscribed to the alert topic."
  type        = list(string)
  default     = []
}

variable "create_kms_key" {
  description = "Create a customer-managed key for the topic and the table (the secure default)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "An existing customer-managed key, when create_kms_key is false."
  type        = string
  default     = null
}

variable "failed_firehose_name" {
  description = "The failed-events Firehose, for the failed-event rate alarm (null: no such alarm)."
  type        = string
  default     = null
}

variable "failed_event_rate_threshold" {
  description = "Alarm when more than this fraction of processed records become failed events."
  type        = number
  default     = 0.01

  validation {
    condition     = var.failed_event_rate_threshold > 0 && var.failed_event_rate_threshold < 1
    error_message = "failed_event_rate_threshold is a fraction between 0 and 1."
  }
}

variable "cmcd_unreadable_rate_threshold" {
  description = "Alarm when more than this many CMCD report lines per accepted event could not be read at all (answered 200, not stored)."
  type        = number
  default     = 0.01

  validation {
    condition     = var.cmcd_unreadable_rate_threshold > 0
    error_message = "cmcd_unreadable_rate_threshold is a positive number of lines per accepted event."
  }
}

variable "cmcd_keys_dropped_rate_threshold" {
  description = "Alarm when ingest drops more than this many CMCD keys per accepted event (null: no such alarm)."
  type        = number
  default     = null

  validation {
    condition     = var.cmcd_keys_dropped_rate_threshold == null ? true : var.cmcd_keys_dropped_rate_threshold > 0
    error_message = "cmcd_keys_dropped_rate_threshold is a positive number of keys per accepted event, or null."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
